#!/bin/sh
echo "migrating database"
exec sleep 1
