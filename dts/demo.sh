#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
#
# The demo lab, from a fresh Debian 12 machine, as root: installs what
# is needed, builds dsrlb, and runs it in a lab of network namespaces,
# balancing real POP3, IMAP, SMTP, HTTP and SIP traffic over IPv4 and
# IPv6 to four frontends; prints where the connections went.
set -euo pipefail
cd "$(dirname "$0")/.."
dts/setup.sh
exec /usr/bin/python3 dts/demo.py
