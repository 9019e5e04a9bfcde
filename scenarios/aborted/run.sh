#!/bin/sh
# wrapper script: stays PID 1 while the indexer runs, then exits with its status
echo "search-indexer: starting"
python3 /app/indexer.py
status=$?
echo "search-indexer: indexer exited with status $status"
exit $status
