#!/bin/bash
# A self-contained Dovecot (IMAP) + Postfix (SMTP) pair on 127.0.0.1 for tests. Run as root.
#
#   mailstack.sh up DIR [PORT_BASE]     write configs into DIR, start both servers. Ports (PORT_BASE
#                                       defaults to 10000): +143 imap, +993 imaps, +25 smtp (no AUTH),
#                                       +587 submission (STARTTLS + AUTH), +465 smtps (AUTH; offers no
#                                       CHUNKING, so a client's DATA path has a server too)
#   mailstack.sh down DIR [kill]        stop both: graceful (about 1 s) or "kill" (SIGKILL, instant)
#   mailstack.sh stop-imap|start-imap|stop-smtp|start-smtp DIR    one side only (outage tests)
#   mailstack.sh adduser DIR user@domain password                 add a user while the stack runs
#
# Environment for "up":
#   MAIL_DOMAINS  domains delivered into Dovecot (default "example.test"); mail to others bounces
#   TEST_USERS    "user@domain:password ..." (default: bot, alice, bob, carol and admin @example.test,
#                 passwords botpass, alicepass, ...)
#
# Layout of DIR: dovecot.conf, users, postfix/{conf,queue,data}, ssl/{cert,key}.pem (the CA file for
# TLS checks: CN and SAN localhost, SAN 127.0.0.1), mail/DOMAIN/USER/Maildir, log/{dovecot,postfix}.log.
# Test addresses: RCPT TO tempfail@DOMAIN is answered 450, reject@DOMAIN 550.
# Mail received on the port-25 listener passes through authres-milter.py (run/milter.sock), which
# adds the receiving MTA's Authentication-Results (authserv-id $AUTHSERV_ID, default
# mx.example.test) at the top of the header, as an MX with OpenDKIM/OpenDMARC does.
# OAUTH_PORT (for "up"): also start oauth-server.py on 127.0.0.1:OAUTH_PORT (state in DIR/oauth.json,
# log in DIR/log/oauth.log) and let Dovecot take XOAUTH2 and OAUTHBEARER logins whose tokens that
# server vouches for (oauth2 passdb, introspection); Postfix's AUTH follows through Dovecot's SASL.
# OAUTH_MECHANISMS narrows what is offered (default "xoauth2 oauthbearer"; "xoauth2" alone is what
# Exchange Online offers).
set -euo pipefail
# MAILSTACK_TRACE=1: trace every command with a timestamp (to stderr)
if [ "${MAILSTACK_TRACE:-}" = 1 ]; then PS4='+ $(date +%T.%N) '; set -x; fi
HERE=$(cd "$(dirname "$0")" && pwd)
usage="usage: mailstack.sh up DIR [PORT_BASE] | down DIR [kill] | stop-imap|start-imap|stop-smtp|start-smtp DIR | adduser DIR USER PASSWORD"
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "$usage" >&2; exit 64; }

die() { echo "mailstack: $*" >&2; exit 1; }

port_names=(imap imaps smtp submission smtps)
port_offsets=(143 993 25 587 465)

greeting() { # port prefix: wait (10 s at most) until the server on the port greets with the prefix
  local line deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    # a connect can hang (a full listen queue drops SYNs): every attempt is bounded
    line=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && read -r -t 2 line <&3 && printf %s "$line"' \
      _ "$1" 2>/dev/null) || true
    [[ -n $line && $line == "$2"* ]] && return 0
    sleep 0.05
  done
  echo "mailstack: no '$2' greeting on port $1 within 10 s (see $DIR/log)" >&2; return 1
}
listening() { # port: wait (10 s at most) until the port accepts connections (implicit TLS: no greeting)
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do port_in_use "$1" && return 0; sleep 0.05; done
  echo "mailstack: nothing listens on port $1 after 10 s (see $DIR/log)" >&2; return 1
}
port_in_use() { # port: does something listen on 127.0.0.1:port (a connect that hangs counts: its queue is full)
  local rc=0
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null || rc=$?
  ((rc == 0 || rc == 124))
}
alive() { # pgid: does the group still have a process (zombies waiting for init to reap them don't count)
  ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}
stop_group() { # master-pid-file TERM|KILL: stop the master and every process of its group, wait until all are gone
  [ -f "$1" ] || return 0
  local pid i; pid=$(tr -d ' \n' < "$1")   # both masters lead their own process group
  [ -n "$pid" ] || { rm -f "$1"; return 0; }
  # TERM goes to the whole group: Dovecot's master alone waits for its logged-in imap and lmtp
  # processes (and their clients) before it exits, which can take many seconds
  kill "-$2" -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do alive "$pid" || { rm -f "$1"; return 0; }; sleep 0.05; done
  echo "mailstack: still running 10 s after SIG$2, killing:" >&2; ps -o pid=,stat=,args= -g "$pid" >&2 || true
  kill -KILL -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do alive "$pid" || { rm -f "$1"; return 0; }; sleep 0.05; done
  echo "mailstack: process group $pid still running" >&2; return 1
}
detached() { # command...: run it with only stdin, stdout and stderr open. The daemons keep every
              # descriptor they inherit for good, so a caller waiting for one to close (a pipe, or the
              # socket Foundation's Process watches to see its child exit) would wait forever.
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      case $n in 0 | 1 | 2 | 255) ;; *) eval "exec $n>&-" 2>/dev/null || true ;; esac
    done
    # and with no signal blocked or ignored: a caller's thread may block SIGTERM (as test runners
    # do), and a daemon started from it would then never see "down"
    exec perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die "sigprocmask: $!";
      $SIG{$_} = "DEFAULT" for grep { $_ ne "ZERO" && $_ ne "KILL" && $_ ne "STOP" } keys %SIG;
      exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!"' -- "$@"
  )
}
start_imap() {
  # dovecot keeps its stdout and stderr open for good: never hand it a caller's pipe
  detached dovecot -c "$DIR/dovecot.conf" </dev/null >>"$DIR/log/dovecot.stderr" 2>&1 ||
    { echo "mailstack: dovecot did not start:" >&2; tail -20 "$DIR/log/dovecot.stderr" >&2
      tail -5 "$DIR/log/dovecot.log" 2>/dev/null >&2; return 1; }
  greeting $((PB + 143)) "* OK"
}
start_milter() { # the port-25 listener's milter; Postfix tempfails mail while it is missing
  [ -S "$DIR/run/milter.sock" ] && [ -f "$DIR/run/milter.pid" ] && kill -0 "$(cat "$DIR/run/milter.pid")" 2>/dev/null && return 0
  rm -f "$DIR/run/milter.pid"
  detached python3 "$HERE/authres-milter.py" "$DIR/run/milter.sock" "${AUTHSERV_ID:-mx.example.test}" \
    "$DIR/run/milter.pid" </dev/null >>"$DIR/log/milter.log" 2>&1 ||
    { echo "mailstack: the milter did not start:" >&2; tail -5 "$DIR/log/milter.log" >&2; return 1; }
  local i; for ((i = 0; i < 200; i++)); do [ -s "$DIR/run/milter.pid" ] && return 0; sleep 0.05; done
  echo "mailstack: the milter did not start (see $DIR/log/milter.log)" >&2; return 1
}
stop_milter() {
  [ -f "$DIR/run/milter.pid" ] || return 0
  kill -TERM "$(cat "$DIR/run/milter.pid")" 2>/dev/null || true
  rm -f "$DIR/run/milter.pid" "$DIR/run/milter.sock"
}
start_smtp() {  # needs Dovecot's auth socket (submission/smtps AUTH) and LMTP socket
  start_milter
  detached postfix -c "$DIR/postfix/conf" start </dev/null >>"$DIR/log/postfix.stderr" 2>&1 ||
    { echo "mailstack: postfix did not start:" >&2; tail -20 "$DIR/log/postfix.stderr" >&2
      tail -5 "$DIR/log/postfix.log" 2>/dev/null >&2; return 1; }
  greeting $((PB + 25)) 220 && greeting $((PB + 587)) 220 && listening $((PB + 465))
}
stop_all() { # sig
  stop_group "$DIR/postfix/queue/pid/master.pid" "$1" || true
  stop_group "$DIR/run/master.pid" "$1" || true
  stop_milter
  stop_oauth
}
start_oauth() { # port: the token and introspection endpoint, and Dovecot's oauth2 passdb pointing at it
  [[ $1 =~ ^[0-9]+$ ]] || die "OAUTH_PORT must be a port number, not '$1'"
  port_in_use "$1" && die "port $1 (oauth) is already in use on 127.0.0.1; pick another OAUTH_PORT"
  cat > "$DIR/oauth2.conf" <<CONF
auth_mechanisms = plain login ${OAUTH_MECHANISMS:-xoauth2 oauthbearer}
passdb {
  driver = oauth2
  mechanisms = ${OAUTH_MECHANISMS:-xoauth2 oauthbearer}
  args = $DIR/dovecot-oauth2.conf.ext
}
CONF
  cat > "$DIR/dovecot-oauth2.conf.ext" <<CONF
introspection_mode = post
introspection_url = http://127.0.0.1:$1/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
CONF
  rm -f "$DIR/run/oauth.pid"
  detached python3 "$HERE/oauth-server.py" "$1" "$DIR/oauth.json" "$DIR/run/oauth.pid" \
    </dev/null >>"$DIR/log/oauth.log" 2>&1 ||
    { echo "mailstack: the oauth server did not start:" >&2; tail -5 "$DIR/log/oauth.log" >&2; return 1; }
  listening "$1"
}
stop_oauth() {
  [ -f "$DIR/run/oauth.pid" ] || return 0
  kill -TERM "$(cat "$DIR/run/oauth.pid")" 2>/dev/null || true
  rm -f "$DIR/run/oauth.pid"
}

if [ "$cmd" != up ]; then
  [ -d "$DIR" ] || die "no stack directory $DIR"
  DIR=$(cd "$DIR" && pwd)
  PB=$(cat "$DIR/port_base" 2>/dev/null) || die "$DIR has no port_base: not a stack directory"
fi
case $cmd in
up)
  PB=${3:-10000}
  [[ $PB =~ ^[0-9]+$ ]] && ((PB >= 1024 && PB + 993 <= 65535)) || die "PORT_BASE must be a number from 1024 to 64542, not '$PB'"
  [ "$(id -u)" = 0 ] || die "run as root (Dovecot and Postfix switch users)"
  for tool in dovecot doveadm postfix openssl python3; do
    command -v "$tool" >/dev/null || die "$tool not found: apt-get install dovecot-imapd dovecot-lmtpd postfix openssl"
  done
  for i in "${!port_offsets[@]}"; do
    port=$((PB + port_offsets[i]))
    if port_in_use "$port"; then die "port $port (${port_names[i]}) is already in use on 127.0.0.1; pick another PORT_BASE"; fi
  done
  mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
  [ -f "$DIR/run/master.pid" ] && die "$DIR already runs a stack: 'down' it first"
  chmod 755 "$DIR"                   # users dovecot, dovenull, mail and postfix must traverse it
  mkdir -p "$DIR"/{run,state,log,mail,ssl,postfix/conf,postfix/queue,postfix/data}
  echo "$PB" > "$DIR/port_base"
  chown mail:mail "$DIR/mail"        # mailboxes belong to the system user "mail" (uid 8): root is refused
  chown postfix "$DIR/postfix/data"  # postfix's data_directory must belong to postfix
  [ -f "$DIR/ssl/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -keyout "$DIR/ssl/key.pem" -out "$DIR/ssl/cert.pem" -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>"$DIR/log/openssl.stderr" ||
      { cat "$DIR/log/openssl.stderr" >&2; die "could not make the TLS certificate"; }
  chmod 644 "$DIR/ssl/cert.pem"
  touch "$DIR/users"
  default_users="bot@example.test:botpass alice@example.test:alicepass bob@example.test:bobpass"
  default_users+=" carol@example.test:carolpass admin@example.test:adminpass"
  for u in ${TEST_USERS:-$default_users}; do
    [[ $u == *@*:* ]] || die "TEST_USERS entry '$u' is not user@domain:password"
    grep -q "^${u%%:*}:" "$DIR/users" || echo "${u%%:*}:{PLAIN}${u#*:}" >> "$DIR/users"
  done
  sed -e "s#@BASE@#$DIR#g" -e "s#@IMAP_PORT@#$((PB + 143))#g" -e "s#@IMAPS_PORT@#$((PB + 993))#g" \
      "$HERE/dovecot.conf.in" > "$DIR/dovecot.conf"
  sed -e "s#@BASE@#$DIR#g" -e "s#@DOMAINS@#${MAIL_DOMAINS:-example.test}#g" \
      "$HERE/main.cf.in" > "$DIR/postfix/conf/main.cf"
  sed -e "s#@BASE@#$DIR#g" -e "s#@SMTP_PORT@#$((PB + 25))#g" -e "s#@SUBMISSION_PORT@#$((PB + 587))#g" \
      -e "s#@SMTPS_PORT@#$((PB + 465))#g" "$HERE/master.cf.in" > "$DIR/postfix/conf/master.cf"
  # Postfix re-reads a main.cf younger than ~2 s until it looks stable (2 s per command): backdate it
  touch -d '-1 min' "$DIR/postfix/conf/main.cf" "$DIR/postfix/conf/master.cf"
  # a half-started stack is stopped again, so a failed "up" leaves no daemons behind
  trap 'stop_all KILL' ERR
  if [ -n "${OAUTH_PORT:-}" ]; then start_oauth "$OAUTH_PORT"; fi
  start_imap
  start_smtp
  trap - ERR
  ;;
down)   # Postfix first (its LMTP and AUTH clients talk to Dovecot), then Dovecot
  sig=TERM; [ "${3:-}" = kill ] && sig=KILL
  stop_group "$DIR/postfix/queue/pid/master.pid" $sig
  stop_group "$DIR/run/master.pid" $sig
  stop_milter
  stop_oauth
  ;;
stop-imap) stop_group "$DIR/run/master.pid" TERM ;;
start-imap) start_imap ;;
stop-smtp) stop_group "$DIR/postfix/queue/pid/master.pid" TERM ;;
start-smtp) start_smtp ;;
adduser)  # Dovecot re-reads the passwd-file when it changes, but looks at most once a second:
          # wait until it knows the user (up to ~3 s), or mail to the user bounces as unknown
  user=${3:?$usage}; password=${4:?$usage}
  [[ $user == *@* && $user != *:* && $password != *$'\n'* ]] || die "'$user' is not user@domain"
  grep -q "^$user:" "$DIR/users" || echo "$user:{PLAIN}$password" >> "$DIR/users"
  if [ -f "$DIR/run/master.pid" ]; then
    for ((i = 0; i < 60; i++)); do
      doveadm -c "$DIR/dovecot.conf" user "$user" >/dev/null 2>&1 && exit 0
      sleep 0.05
    done
    die "dovecot does not know $user"
  fi
  ;;
*) echo "$usage" >&2; exit 64 ;;
esac
