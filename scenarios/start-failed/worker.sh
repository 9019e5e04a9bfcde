#!/bin/sh
echo "worker running as $(id -un)"
exec sleep 1
