"""Finding a person, vehicle, party or declaration at the port, and following a lot's journey."""
