const void *herald_plugin_entry(void); const void *herald_plugin_entry(void) { return 0; }
