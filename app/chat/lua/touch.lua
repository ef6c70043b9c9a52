-- touch: ARGV[10] = member key. Answers 1 if it is present (and refreshed it), else 0.
local key = ARGV[10]
if not present(OWN, key) then
  return 0
end
refresh(key)
return 1
