# --- The steady check's processes: whether the ps listing still holds what the record last merged, so a check in
# which no process started or ended writes nothing

# The ps listing last merged into the processes record: the starts it implies (one word a process), then "PID PATH".
STEADY_LISTED=listed

# Keeps the listing a full check merged ($WORK/processes, read at $NOW) as the steady check's: when the record holds it.
# shellcheck disable=SC3013 # -nt: bash 3.2 (macOS's sh) and dash have it
remember_processes() {
	[ -d "$CAPTURE" ] || return 0
	: >"$CAPTURE/$STEADY_LISTED"
	[ -s "$WORK/processes" ] && [ ! -e "$CAPTURE/processes.new" ] && [ ! "$WORK/processes" -nt "$CAPTURE/processes" ] || return 0
	same_processes "$(text_of "$WORK/processes")" || :
	printf '%s\n%s' "$STARTED" "$LISTED" >"$CAPTURE/$STEADY_LISTED"
}

# True when LISTING (ps -axww -o pid=,etime=,comm=, read at $NOW) holds the processes the last merged one held, in
# the same order, each begun when it began give or take PROCESS_START_SLACK (a pid used again is a new process), and
# no one rewrote the record since: a merge would add and end nothing. Sets LISTED and STARTED as remembered.
# shellcheck disable=SC3013 # -nt: bash 3.2 (macOS's sh) and dash have it
same_processes() { # LISTING
	LISTED="" STARTED="" was="" starts=""
	if [ -f "$CAPTURE/$STEADY_LISTED" ] && [ -f "$CAPTURE/processes" ] && [ ! "$CAPTURE/processes" -nt "$CAPTURE/$STEADY_LISTED" ]; then
		{ IFS= read -r starts && while IFS= read -r line; do was="$was$line$NL"; done; } <"$CAPTURE/$STEADY_LISTED"
	fi
	same=yes
	[ -n "$starts" ] || same=no
	set -f
	saved_ifs=$IFS
	IFS=$NL
	for line in $1; do
		rest=${line#"${line%%[! ]*}"}
		pid=${rest%% *}
		rest=${rest#"$pid"}
		rest=${rest#"${rest%%[! ]*}"}
		elapsed=${rest%% *}
		LISTED="$LISTED$pid ${rest#"$elapsed" }$NL"
		start=x
		case $pid/$elapsed in
		*[!0-9:/-]* | /* | */ | *-*-* | *:*:*:* | */-* | *-:* | *:) ;;
		*)
			# [[dd-]hh:]mm:ss, each part without its leading zeros ($(( )) reads 08 as octal).
			seconds=0 days=0
			case $elapsed in *-*) days=${elapsed%%-*} elapsed=${elapsed#*-} ;; esac
			while case $days in 0?*) ;; *) false ;; esac do days=${days#0}; done
			IFS=:
			for part in $elapsed; do
				while case $part in 0?*) ;; *) false ;; esac do part=${part#0}; done
				seconds=$((seconds * 60 + ${part:-0}))
			done
			IFS=$NL
			start=$((NOW - days * 86400 - seconds))
			;;
		esac
		STARTED="$STARTED$start "
		[ "$same" = yes ] || continue
		was_start=${starts%% *}
		starts=${starts#* }
		case $was_start:$start in :* | *[!0-9:]*) same=no ;; *) [ $((start - was_start)) -le "$PROCESS_START_SLACK" ] && [ $((was_start - start)) -le "$PROCESS_START_SLACK" ] || same=no ;; esac
	done
	IFS=$saved_ifs
	set +f
	[ "$same" = yes ] && [ -z "${starts%% }" ] && [ "$LISTED" = "$was" ]
}
