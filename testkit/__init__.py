"""What both tests/ and scripts/ use to start and drive the real system: the Rasa and
action servers (`servers`), the production topology (`topology`), private PostgreSQL
and Redis (`services`), load clients (`load`), the hostile request set (`hostile`)
and the triage case files (`case_files`). Scripts import from here, never from tests/."""
