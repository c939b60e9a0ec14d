#!/bin/sh
# Alfred's Script Filter: the words after the keyword, through the Node finder to the workflow's program.
exec /bin/sh "$(dirname "$0")/find-node.sh" filter "$@"
