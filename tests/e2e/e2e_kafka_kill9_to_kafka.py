"""Exactly-once under kill -9 for a Kafka-to-kafka job (issue 3): the job is
killed at random moments while records keep being produced to its input topic,
restarted each time, then run to completion; the output (Kafka read with isolation.level=read_committed)
holds every input record exactly once. Driver: tests/lib/kafka_kill9.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from kafka_kill9 import run_kill9  # noqa

run_kill9("kafka")
print("1 passed, 0 failed")
