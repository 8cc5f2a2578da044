get "/" do
  "Hello World Crystal!"
end
