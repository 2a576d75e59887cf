"""The one owner of the schema: migrations, config models and their validation.

``models`` holds the models and the validators every front end shares;
``sync`` is the blocking access of the web UI and the console; ``db`` the
asynchronous access of the daemon; ``writer`` batches call records off the call
path; ``rows`` is the SQL and row mapping the two access paths share;
``defaults`` is the configuration of a box nobody has configured yet.
"""
