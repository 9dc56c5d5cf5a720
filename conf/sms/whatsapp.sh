#!/bin/sh
# phoneauth SMS command for WhatsApp, through Meta's WhatsApp Cloud API: the
# code goes out as an authentication template message (the template, with
# its one-tap "copy code" button, is approved in Meta's WhatsApp Manager).
#
#   sms_driver  = command
#   sms_command = /usr/local/share/phoneauth/sms/whatsapp.sh
#
# From phoneauth: PHONE (09XXXXXXXXX, or +E.164 with phone_format = e164),
# CODE, PURPOSE, LANGUAGE (en or fa), TEXT. A notice (PURPOSE=notice: a
# security change, CODE empty) sends TEXT instead of a code: as the one body
# parameter of WHATSAPP_TEMPLATE_NOTICE (a utility template whose body is
# {{1}}) when set, else as a text message (which Meta delivers only within
# 24 hours of the user's last message to the number). From the sender's
# environment:
#   WHATSAPP_TOKEN            required: a system user's access token (or
#                             the file of that name in $CREDENTIALS_DIRECTORY,
#                             LoadCredential=)
#   WHATSAPP_PHONE_NUMBER_ID  required: the sending number's id
#   WHATSAPP_TEMPLATE         required: the template's name (or
#                             WHATSAPP_TEMPLATE_REGISTER, _LOGIN, _RESET, _CHANGE)
#   WHATSAPP_TEMPLATE_NOTICE  the notices' template (see above), optional
#   WHATSAPP_LANGUAGE_EN, WHATSAPP_LANGUAGE_FA
#                             the template's language codes (en_US, fa)
#   WHATSAPP_URL              default https://graph.facebook.com
#   WHATSAPP_API_VERSION      default v19.0
#   WHATSAPP_TIMEOUT          seconds, default 8
# Exit status 0 when Meta accepted the message (HTTP 200 with a message id).
set -eu

# A secret not in the environment is read from the file of its name in
# $CREDENTIALS_DIRECTORY: systemd's LoadCredential= (docs/operations.md, "SMS delivery"),
# which no other user can read, unlike an Environment= line.
for name in WHATSAPP_TOKEN; do
	eval "value=\${$name:-}"
	if [ -z "$value" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -r "$CREDENTIALS_DIRECTORY/$name" ]; then
		value=$(cat "$CREDENTIALS_DIRECTORY/$name")
		eval "$name=\$value"
	fi
done
unset value

: "${WHATSAPP_TOKEN:?WHATSAPP_TOKEN is not set}"
: "${WHATSAPP_PHONE_NUMBER_ID:?WHATSAPP_PHONE_NUMBER_ID is not set}"
: "${PHONE:?}"
base=${WHATSAPP_URL:-https://graph.facebook.com}
version=${WHATSAPP_API_VERSION:-v19.0}

notice=
if [ "${PURPOSE:-}" = notice ]; then
	: "${TEXT:?whatsapp: a notice without TEXT}"
	notice=1
	template=${WHATSAPP_TEMPLATE_NOTICE:-}
	# TEXT as a JSON string's contents: control characters but newline
	# dropped, then \ " and newline escaped
	text=$(printf '%s' "$TEXT" | tr -d '\000-\011\013-\037' |
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')
else
	: "${CODE:?}"
	# The template for this purpose, else the one for all.
	case ${PURPOSE:-register} in
	register) template=${WHATSAPP_TEMPLATE_REGISTER:-${WHATSAPP_TEMPLATE:-}} ;;
	login) template=${WHATSAPP_TEMPLATE_LOGIN:-${WHATSAPP_TEMPLATE:-}} ;;
	reset) template=${WHATSAPP_TEMPLATE_RESET:-${WHATSAPP_TEMPLATE:-}} ;;
	change) template=${WHATSAPP_TEMPLATE_CHANGE:-${WHATSAPP_TEMPLATE:-}} ;;
	*) template=${WHATSAPP_TEMPLATE:-} ;;
	esac
	[ -n "$template" ] || { echo "whatsapp: WHATSAPP_TEMPLATE is not set" >&2; exit 1; }
fi
case ${LANGUAGE:-en} in
fa) lang=${WHATSAPP_LANGUAGE_FA:-fa} ;;
*) lang=${WHATSAPP_LANGUAGE_EN:-en_US} ;;
esac
# Only these characters ever reach the JSON below, so it needs no escaping.
# (TEXT is escaped above.)
for v in "$template" "$lang" "$WHATSAPP_PHONE_NUMBER_ID" "$version"; do
	case $v in *[!A-Za-z0-9_.-]*) echo "whatsapp: bad setting '$v'" >&2; exit 1 ;; esac
done
[ -n "$notice" ] || case $CODE in *[!0-9]*) echo "whatsapp: bad code" >&2; exit 1 ;; esac

# WhatsApp wants the number in international form without the +.
case $PHONE in
+*) to=${PHONE#+} ;;
0*) to="98${PHONE#0}" ;;
*) to=$PHONE ;;
esac
case $to in *[!0-9]*) echo "whatsapp: bad number" >&2; exit 1 ;; esac

if [ -n "$notice" ] && [ -n "$template" ]; then
	body=$(printf '{"messaging_product":"whatsapp","recipient_type":"individual","to":"%s","type":"template","template":{"name":"%s","language":{"code":"%s"},"components":[{"type":"body","parameters":[{"type":"text","text":"%s"}]}]}}' \
		"$to" "$template" "$lang" "$text")
elif [ -n "$notice" ]; then
	body=$(printf '{"messaging_product":"whatsapp","recipient_type":"individual","to":"%s","type":"text","text":{"preview_url":false,"body":"%s"}}' \
		"$to" "$text")
else
	body=$(printf '{"messaging_product":"whatsapp","recipient_type":"individual","to":"%s","type":"template","template":{"name":"%s","language":{"code":"%s"},"components":[{"type":"body","parameters":[{"type":"text","text":"%s"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"%s"}]}]}}' \
		"$to" "$template" "$lang" "$CODE" "$CODE")
fi

# The token goes to curl on its standard input, not on its command line.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=$(printf 'header = "Authorization: Bearer %s"\nurl = "%s/%s/%s/messages"\n' \
		"$WHATSAPP_TOKEN" "$base" "$version" "$WHATSAPP_PHONE_NUMBER_ID" |
	curl --silent --show-error --max-time "${WHATSAPP_TIMEOUT:-8}" --config - \
		--header 'Content-Type: application/json' --data "$body" \
		--output "$out" --write-out '%{http_code}') || { echo "whatsapp: the request failed" >&2; exit 1; }
if [ "$status" = 200 ] && grep -q '"messages"' "$out"; then
	exit 0
fi
# Meta's error message, for the dead letter (never the code: it is not in it).
echo "whatsapp: HTTP $status $(tr -d '\n' < "$out" | cut -c1-200)" >&2
exit 1
