export PATH=$PATH:/tmp/.x
