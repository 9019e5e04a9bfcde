#!/bin/sh
# wrapper script: stays PID 1 while the worker runs, then exits with its status
echo "thumbnailer: starting worker"
python3 /app/resize.py
status=$?
echo "thumbnailer: worker exited with status $status"
exit $status
