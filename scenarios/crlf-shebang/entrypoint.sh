#!/bin/sh
# start the report worker (saved on Windows)
echo "starting report worker"
exec sleep 1
