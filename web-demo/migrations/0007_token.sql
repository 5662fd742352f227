-- Which token answered a card-based confirmation (issue 14): 'card', 'android' or 'iphone', as
-- the terminal's body says the bridge reported it. The service cannot verify it from the
-- certificate; NULL when the body did not say (an older module, or not a card-based check).
ALTER TABLE audit ADD COLUMN token TEXT CHECK (token IN ('card', 'android', 'iphone'));
