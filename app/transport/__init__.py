"""HTTP transport: routes and the edge around the protocol engine. Bytes in, bytes out."""
