#!/bin/sh
# Alfred's Run Script (↵ on an item): the item's action, through the Node finder to the workflow's program.
exec /bin/sh "$(dirname "$0")/find-node.sh" run "$@"
