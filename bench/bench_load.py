"""`make bench`'s load run: 30 simulated people for 5 minutes on one server, at Streamlit's protocol
(bench/load_protocol.py, which takes --people, --minutes, --replicas, --url). Writes bench/results/load.json."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load_protocol import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
