#!/bin/sh
# Container (and systemd) entry point for Bardling.
#
#   (no arguments) or `run`   bardling run, with one --transport per name in BARDLING_TRANSPORTS
#                             (comma-separated: telegram, discord, console; default telegram)
#   another bardling command  passed to bardling (doctor, health, jobs list, poem ..., train ...)
#   a program on PATH         run as is (sh, python ...)
#
# exec, so the bot is the process that receives SIGTERM and shuts down cleanly.
set -euf  # -f: a transport name is never a glob

if [ "$#" -eq 0 ]; then
  set -- run
fi

if [ "$1" = run ]; then
  shift
  transports=${BARDLING_TRANSPORTS:-telegram}
  old_ifs=$IFS
  IFS=','
  for name in $transports; do
    name=$(printf '%s' "$name" | tr -d '[:space:]')
    [ -n "$name" ] && set -- "$@" --transport "$name"
  done
  IFS=$old_ifs
  exec bardling run "$@"
fi

# A program is a file on PATH: shell builtins such as `jobs` and `export` are bardling commands.
case $(command -v -- "$1" 2>/dev/null || true) in
  */*) exec "$@" ;;
esac
exec bardling "$@"
