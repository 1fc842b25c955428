#!/usr/bin/env bash
# Printed by `make run` before the processes start.
cat <<TXT

  Sciaticalm assistant is starting (Ctrl-C stops everything):
    Rasa server (REST + socket.io) http://localhost:5005/
      REST channel                  POST http://localhost:5005/webhooks/rest/webhook
    Action server                   http://localhost:5055/webhook
    Conversation log (SQLite)       $(pwd)/var/conversations.db
    Listening on                    ${SCIATICALM_BIND_HOST:-127.0.0.1} (SCIATICALM_BIND_HOST to change)
TXT
for f in mk/*.urls; do [ -f "$f" ] && cat "$f"; done
echo
