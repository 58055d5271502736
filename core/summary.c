/* placeholder */ typedef int herald_placeholder_summary;
