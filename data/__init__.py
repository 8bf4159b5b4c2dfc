"""The store: schema and migrations, the connection, marts, the demo generator, importers."""
