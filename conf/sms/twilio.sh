#!/bin/sh
# phoneauth SMS command for Twilio's Messages API.
#
#   sms_driver  = command
#   sms_command = /usr/local/share/phoneauth/sms/twilio.sh
#
# From phoneauth: PHONE (09XXXXXXXXX, or +E.164 with phone_format = e164),
# CODE, PURPOSE (notice: a notice of a security change, CODE empty),
# LANGUAGE (en or fa), TEXT (the whole SMS phoneauth rendered from its
# templates; the message's body). From the sender's
# environment:
#   TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   required; or the files of those
#                                           names in $CREDENTIALS_DIRECTORY
#                                           (LoadCredential=)
#   TWILIO_FROM                             the sending number (+1...), or
#   TWILIO_MESSAGING_SERVICE_SID            a messaging service instead
#   TWILIO_URL                              default https://api.twilio.com
#   TWILIO_TIMEOUT                          seconds, default 8
# Exit status 0 when Twilio accepted the message (HTTP 201).
set -eu

# A secret not in the environment is read from the file of its name in
# $CREDENTIALS_DIRECTORY: systemd's LoadCredential= (docs/operations.md, "SMS delivery"),
# which no other user can read, unlike an Environment= line.
for name in TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN; do
	eval "value=\${$name:-}"
	if [ -z "$value" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -r "$CREDENTIALS_DIRECTORY/$name" ]; then
		value=$(cat "$CREDENTIALS_DIRECTORY/$name")
		eval "$name=\$value"
	fi
done
unset value

: "${TWILIO_ACCOUNT_SID:?TWILIO_ACCOUNT_SID is not set}"
: "${TWILIO_AUTH_TOKEN:?TWILIO_AUTH_TOKEN is not set}"
: "${PHONE:?}"
if [ "${PURPOSE:-}" = notice ]; then
	: "${TEXT:?twilio: a notice without TEXT}"	# no code: the text is all of it
else
	: "${CODE:?}"
fi
base=${TWILIO_URL:-https://api.twilio.com}

# Twilio wants E.164: an Iranian national number 09... becomes +989...
case $PHONE in
+*) to=$PHONE ;;
0*) to="+98${PHONE#0}" ;;
*) to="+$PHONE" ;;
esac
body=${TEXT:-}
if [ -z "$body" ]; then	# a phoneauth older than its templates
	case ${LANGUAGE:-en} in
	fa) body="کد تأیید شما: $CODE" ;;
	*) body="Your verification code is $CODE" ;;
	esac
fi
if [ -n "${TWILIO_MESSAGING_SERVICE_SID:-}" ]; then
	sender="MessagingServiceSid=$TWILIO_MESSAGING_SERVICE_SID"
else
	sender="From=${TWILIO_FROM:?TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is not set}"
fi

# Credentials go to curl on its standard input, not on its command line.
status=$(printf 'user = "%s:%s"\nurl = "%s/2010-04-01/Accounts/%s/Messages.json"\n' \
		"$TWILIO_ACCOUNT_SID" "$TWILIO_AUTH_TOKEN" "$base" "$TWILIO_ACCOUNT_SID" |
	curl --silent --show-error --max-time "${TWILIO_TIMEOUT:-8}" --config - \
		--data-urlencode "To=$to" \
		--data-urlencode "$sender" \
		--data-urlencode "Body=$body" \
		--output /dev/null --write-out '%{http_code}') || { echo "twilio: the request failed" >&2; exit 1; }
[ "$status" = 201 ] && exit 0
echo "twilio: HTTP $status" >&2
exit 1
