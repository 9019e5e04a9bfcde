# start the billing worker
echo "billing worker starting"
exec sleep 1
