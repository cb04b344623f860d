"""The web portal (门户): server-rendered Chinese pages for survey teams, the evaluation office, case staff and
leaders, on the case service's accounts, roles and scopes. An entry-point layer: it may import the areas and
``szcg``; nothing imports it."""
