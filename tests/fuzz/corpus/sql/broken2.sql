SELECT 'unterminated
-- ${input