"""Papers: the owner's publications, keyed by arXiv id, filled from the Hub's paper API.

- models.py: `Paper` (the owner's fields and the Hub's), and the arXiv id's rules;
- mapping.py: `paper_info`'s raw JSON, untrusted, read into a paper's fields;
- sync.py: the papers step of a `sync_hub` run (and the citations from the cards' `arxiv:` tags);
- fetch.py: one paper asked once while the owner adds it in the admin;
- bibtex.py: BibTeX entries from the stored data;
- views.py: the `.bib` file, and what the home page's "Publications" section shows;
- admin.py: the papers in the admin.
"""
