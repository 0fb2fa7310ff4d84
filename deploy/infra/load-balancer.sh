#!/bin/sh
# The load balancer role of the infrastructure image: HAProxy in the foreground (-W: master-worker, so
# SIGTERM stops it cleanly; -db: no daemon), with the configuration compose mounts.
set -eu
config=${HAPROXY_CONFIG:-/etc/haproxy/haproxy.cfg}
haproxy -c -q -f "$config"
exec haproxy -W -db -f "$config"
