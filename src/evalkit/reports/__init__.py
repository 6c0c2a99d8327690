"""Reports: code-free pages of notebooks, site reports and the 1:3:25 evidence brief, in French
and in English, from released results only."""
