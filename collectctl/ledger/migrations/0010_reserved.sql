-- Placeholder: this number is reserved for another branch; it only keeps the numbering
-- consecutive on this one. The integrator drops this file when the real migration lands.
SELECT 1;
