/* placeholder */ typedef int herald_placeholder_utf8;
