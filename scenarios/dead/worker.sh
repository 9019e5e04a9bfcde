#!/bin/sh
# writes its state file, waits for work, and stops cleanly on SIGTERM
trap 'echo "worker stopping"; exit 0' TERM
mkdir -p /var/lib/app
echo ready > /var/lib/app/state
echo "worker ready"
sleep 300 &
wait
