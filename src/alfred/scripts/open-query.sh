#!/bin/sh
# ⌘↵ on an item: Alfred opens with its words to edit, through the Node finder to the workflow's program.
exec /bin/sh "$(dirname "$0")/find-node.sh" open "$@"
