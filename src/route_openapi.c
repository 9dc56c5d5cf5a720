/*
 * GET openapi.json: the description of every route, openapi/openapi.json
 * compiled in by scripts/embed.sh, answered as it is. It is never parsed:
 * the answer is a json-c object whose serializer writes the file's text
 * (json-c's own json_object_userdata_to_json_string), made once per worker,
 * so every answer is the source byte for byte and costs one copy.
 */
#include "phoneauth/route_openapi.h"

#include "phoneauth/embedded.h"

void
route_openapi(struct ctx *ctx)
{
	/* Owner: this function, for the worker's life; each answer holds a
	 * reference of its own, which response_reset() gives back. */
	static json_object *doc;

	if (doc == NULL) {
		if ((doc = json_object_new_object()) == NULL) {
			ctx_reply_internal(ctx);
			return;
		}
		json_object_set_serializer(doc, json_object_userdata_to_json_string,
		    (void *)openapi_json[0].text, NULL);
	}
	response_json(ctx->resp, 200, json_object_get(doc));
}
