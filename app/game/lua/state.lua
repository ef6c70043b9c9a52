-- state: no arguments of its own. Answers describe(the round in play).
return describe(current())
