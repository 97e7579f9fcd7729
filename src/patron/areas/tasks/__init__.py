"""Tasks: work for a person about a customer (call her back), with an owner and a due date."""
