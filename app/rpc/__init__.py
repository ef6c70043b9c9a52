"""The JSON-RPC 2.0 protocol engine: envelopes, batches, params, errors and OpenRPC."""
