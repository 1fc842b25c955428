#!/usr/bin/env bash
# Printed by `make run` before the processes start.
cat <<TXT

  Sciaticalm assistant is starting (Ctrl-C stops everything):
    Rasa server (REST + socket.io) http://localhost:5005/
      REST channel                  POST http://localhost:5005/webhooks/rest/webhook
    Action server                   http://localhost:5055/webhook
    Conversation log (SQLite)       $(pwd)/var/conversations.db
TXT
for f in mk/*.urls; do [ -f "$f" ] && cat "$f"; done
echo
