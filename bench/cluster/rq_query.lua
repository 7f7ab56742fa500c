-- rqlited: point query; the URL (with level=...) is given on the wrk command line.
function is_error(status, body)
  return status ~= 200 or string.find(body, '"error"', 1, true) ~= nil
end
