"""Performance reports (效能报表): case and call figures per bureau, street, category, agent or queue."""
