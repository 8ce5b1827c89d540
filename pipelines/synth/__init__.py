"""The synthetic Republic of Buryatia: sources as senders deliver them, planted signals, faults and ground truth."""

from pipelines.synth.generator import DEFAULT_AS_OF, GenerateError, already_generated, generate

__all__ = ["DEFAULT_AS_OF", "GenerateError", "already_generated", "generate"]
