"""Append-only JSONL session transcripts."""
