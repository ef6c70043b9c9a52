-- new_round: no arguments of its own. Answers describe(the new round).
-- Straight from the last round, even an over one: the number goes up by one only.
return describe(next_round(load().number))
