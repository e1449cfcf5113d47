"""Model-layer benchmark: load time, generation tokens/s, latency p50/p95 and embeddings/s of each
chat-model provider and of the gateway, on the CPU or a CUDA device (``python -m
benchmarks.models.run``)."""
