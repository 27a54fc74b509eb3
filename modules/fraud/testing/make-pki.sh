#!/usr/bin/env bash
# Generates the STIR/SHAKEN test PKI in ./pki once (committed; the tests never run this):
# a trusted STI-CA, a service-provider certificate it issued, one expired, one not yet valid, and a certificate
# from a CA nobody trusts. EC P-256 keys (ES256). Needs OpenSSL ≥ 3.0.
set -euo pipefail
cd "$(dirname "$0")/pki"
rm -rf ./*
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ca() { # name subject
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -subj "$2" -days 7300 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() { # name ca subject startdate enddate
  local dir="$work/$2-$1"
  mkdir -p "$dir"; touch "$dir/index.txt"; echo 1000 > "$dir/serial"
  cat > "$dir/ca.cnf" <<CNF
[ ca ]
default_ca = x
[ x ]
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
x509_extensions = ext
[ any ]
commonName = supplied
[ ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
# TNAuthList (RFC 8226): SPC "KZ001"
1.3.6.1.5.5.7.1.26 = DER:3007A0050C034B5A31
CNF
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$dir/req.csr"
  openssl ca -batch -config "$dir/ca.cnf" -cert "$2.pem" -keyfile "$2.key" -in "$dir/req.csr" -out "$dir/out.pem" \
    -startdate "$4" -enddate "$5" -notext 2>/dev/null
  openssl x509 -in "$dir/out.pem" -out "$1.pem"
}

ca sti-ca "/C=KZ/O=Tartip Test STI-CA/CN=Tartip Test STI-CA"
ca rogue-ca "/C=KZ/O=Rogue/CN=Rogue CA"
leaf sp sti-ca "/CN=SHAKEN KZ001" 20260101000000Z 20460101000000Z
leaf sp-expired sti-ca "/CN=SHAKEN KZ001 expired" 20200101000000Z 20210101000000Z
leaf sp-future sti-ca "/CN=SHAKEN KZ001 future" 20400101000000Z 20410101000000Z
leaf sp-rogue rogue-ca "/CN=SHAKEN rogue" 20260101000000Z 20460101000000Z
rm -f rogue-ca.key sti-ca.key
ls
