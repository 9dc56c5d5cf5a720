-- POST the JSON body in $BODY to the URL given to wrk.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
