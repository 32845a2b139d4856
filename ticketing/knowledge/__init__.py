"""Knowledge base (知识库): articles kept by the centre and bureaus, searched by words, cited."""
