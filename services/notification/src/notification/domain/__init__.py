"""Pure logic of the notification service: the case decision, its status machine, letters."""
