#!/bin/sh
# phoneauth SMS command for Kavenegar's verify/lookup API (the one the
# original Django service used): one code, sent with a template you define
# in Kavenegar's panel. A notice (PURPOSE=notice: no code, the whole text
# in TEXT) goes out as that text through Kavenegar's sms/send API instead.
#
#   sms_driver  = command
#   sms_command = /usr/local/share/phoneauth/sms/kavenegar.sh
#
# From phoneauth: PHONE (09XXXXXXXXX), CODE, PURPOSE (register, login,
# reset, change; notice: CODE empty), LANGUAGE, TEXT (the message phoneauth
# rendered; what a notice sends). From the sender's environment (systemctl edit
# phoneauth-sender; never in phoneauth.conf, which refuses unknown keys):
#   KAVENEGAR_API_KEY             required; or the file of that name in
#                                 $CREDENTIALS_DIRECTORY (LoadCredential=)
#   KAVENEGAR_TEMPLATE            the template for every purpose, or per purpose:
#   KAVENEGAR_TEMPLATE_REGISTER, KAVENEGAR_TEMPLATE_LOGIN, KAVENEGAR_TEMPLATE_RESET
#   KAVENEGAR_SENDER              the line notices are sent from (default:
#                                 the account's default line)
#   KAVENEGAR_URL                 default https://api.kavenegar.com
#   KAVENEGAR_TIMEOUT             seconds, default 8 (keep it under sms_timeout)
# Exit status 0 when Kavenegar accepted the message; otherwise a line on
# standard error says why, and the sender retries.
set -eu

# A secret not in the environment is read from the file of its name in
# $CREDENTIALS_DIRECTORY: systemd's LoadCredential= (docs/operations.md, "SMS delivery"),
# which no other user can read, unlike an Environment= line.
for name in KAVENEGAR_API_KEY; do
	eval "value=\${$name:-}"
	if [ -z "$value" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -r "$CREDENTIALS_DIRECTORY/$name" ]; then
		value=$(cat "$CREDENTIALS_DIRECTORY/$name")
		eval "$name=\$value"
	fi
done
unset value

: "${KAVENEGAR_API_KEY:?KAVENEGAR_API_KEY is not set}"
: "${PHONE:?}"
base=${KAVENEGAR_URL:-https://api.kavenegar.com}

# The API key is part of the URL: it goes to curl on its standard input,
# not on its command line, where every user of the machine could read it.
if [ "${PURPOSE:-}" = notice ]; then
	# a notice of a security change: its text, as it is (no code, no template)
	: "${TEXT:?kavenegar: a notice without TEXT}"
	set -- --data-urlencode "receptor=$PHONE" --data-urlencode "message=$TEXT"
	[ -z "${KAVENEGAR_SENDER:-}" ] || set -- "$@" --data-urlencode "sender=$KAVENEGAR_SENDER"
	api=sms/send.json
else
	: "${CODE:?}"
	case ${PURPOSE:-register} in
	register) template=${KAVENEGAR_TEMPLATE_REGISTER:-${KAVENEGAR_TEMPLATE:-}} ;;
	login) template=${KAVENEGAR_TEMPLATE_LOGIN:-${KAVENEGAR_TEMPLATE:-}} ;;
	reset) template=${KAVENEGAR_TEMPLATE_RESET:-${KAVENEGAR_TEMPLATE:-}} ;;
	*) template=${KAVENEGAR_TEMPLATE:-} ;;
	esac
	[ -n "$template" ] || { echo "kavenegar: no template for purpose ${PURPOSE:-}" >&2; exit 2; }
	set -- --data-urlencode "receptor=$PHONE" --data-urlencode "token=$CODE" \
		--data-urlencode "template=$template"
	api=verify/lookup.json
fi
answer=$(printf 'url = "%s/v1/%s/%s"\n' "$base" "$KAVENEGAR_API_KEY" "$api" |
	curl --silent --show-error --max-time "${KAVENEGAR_TIMEOUT:-8}" --config - --get "$@" \
		--write-out '\n%{http_code}') || { echo "kavenegar: the request failed" >&2; exit 1; }
status=$(printf '%s\n' "$answer" | tail -n 1)
body=$(printf '%s\n' "$answer" | sed '$d')
# Kavenegar answers {"return":{"status":200,...},"entries":[...]} on success.
if [ "$status" = 200 ] && printf '%s' "$body" | grep -Eq '"status"[[:space:]]*:[[:space:]]*200'; then
	exit 0
fi
echo "kavenegar: HTTP $status: $(printf '%s' "$body" | head -c 300)" >&2
exit 1
