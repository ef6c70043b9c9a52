"""HTTP transport: routes and middleware around the protocol engine. Bytes in, bytes out."""
